"""The progress model's pure rules: mastery per topic (`mastery`), struggle rules (`struggle`)."""
