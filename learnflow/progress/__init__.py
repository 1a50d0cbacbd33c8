"""The progress model's pure rules: mastery per topic (`mastery`) and struggle triggers (`struggle`)."""
