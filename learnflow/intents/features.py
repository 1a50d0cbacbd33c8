"""Step 4's rules: each intent's weighted features, regular expressions over the corrected
prose (unsafe features also read the code, and two read the raw message)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from learnflow.intents.routing import Intent

__all__ = ["FEATURES", "OTHER_LANGUAGE", "PYTHON_TERMS", "Feature"]


@dataclass(frozen=True, slots=True)
class Feature:
    """One weighted rule: when `pattern` matches, `weight` counts towards `intent`."""

    name: str
    intent: Intent
    weight: float
    pattern: re.Pattern[str]
    #: "prose": the normalised, spell-corrected prose; "raw": the whole message, lower-cased.
    source: Literal["prose", "raw"] = "prose"


def _features(intent: Intent, *rows: tuple[str, float, str]) -> tuple[Feature, ...]:
    """(name, weight, regex over the corrected prose) rows of one intent."""
    return tuple(Feature(name, intent, weight, re.compile(regex)) for name, weight, regex in rows)


# Python notions a concept question is about (curriculum topics and everyday vocabulary).
PYTHON_TERMS = re.compile(
    r"\b(python|code|coding|program|programs|programming|script|syntax|variables?|strings?|str|"
    r"int|integers?|floats?|bool|booleans?|data\s+types?|types?|input|output|print|printing|"
    r"operators?|conversion|convert|casting|elif|else|if\s+statements?|conditions?|conditionals?|"
    r"loops?|looping|while|break|continue|range|iterate|iteration|lists?|tuples?|dictionar\w*|"
    r"dicts?|sets?|comprehensions?|index|indexes|indices|indexing|slice|slicing|"
    r"keys?|values?|mutable|immutable|functions?|def|parameters?|arguments?|args|return|returns|"
    r"scope|global|local|lambda|recursion|recursive|class|classes|objects?|attributes?|methods?|"
    r"inheritance|inherit|encapsulation|polymorphism|self|__init__|init|constructors?|oop|files?|"
    r"csv|json|try|except|finally|raise|exceptions?|errors?|\w+error|traceback|"
    r"debug|debugging|modules?|imports?|packages?|pip|venv|virtual\s+environments?|library|"
    r"libraries|apis?|requests|indentation|indent|keywords?|generators?|iterators?|decorators?|"
    r"f\s+strings?|fstrings?|formatting|append|extend|sort|sorted|enumerate|zip|len|"
    r"modulo|algorithm|data\s+structures?|control\s+flow|"
    r"pep\s*8|datetime|boolean|recursively|reading\s+files|writing\s+files)\b"
)
# Lookarounds rather than \b: there is no word boundary after the "+" of "c++".
OTHER_LANGUAGE = re.compile(
    r"(?<![\w+#])(javascript|js|java|c\+\+|c#|csharp|html|css|php|ruby|swift|kotlin|rust|golang|"
    r"typescript|excel|div)(?![\w+#])"
)

_CONCEPT_CUES = _features(
    Intent.CONCEPT_QUESTION,
    ("explain", 2.5, r"\b(explain|explanation|elaborate)\b"),
    ("what-is", 1.5, r"\bwhat\s+(is|are|does|do)\b"),
    ("question-word", 0.5, r"^(how|why|what|when|where|which|is|are|can|could|does|do|should)\b"),
    ("how-do", 1.5, r"\bhow\s+(do|does|can|to|would|should|is|are)\b"),
    ("why", 1.0, r"\bwhy\s+(do|does|is|are|would|should|can|we|use)\b"),
    ("difference", 2.0, r"\b(difference|differences|different|compare|comparison)\b"),
    ("versus", 1.5, r"\b(vs|versus)\b"),
    ("meaning", 1.5, r"\b(mean|means|meaning)\b"),
    ("example", 1.0, r"\b(example|examples)\b"),
    ("when-use", 2.0, r"\bwhen\s+(should|do|would|to)\b.*\buse\b"),
    ("teach", 2.5, r"\b(teach|tell)\s+me\s+(about|how)\b|\blearn\s+about\b"),
    ("understand", 1.0, r"\b(understand|confused|confusing|get\s+it)\b|\bnot\s+get\b"),
    ("what-a-x-is", 1.5, r"\bwhat\s+(a|an|the)\s+\w+(\s+\w+)?\s+(is|are|does|do)\b"),
    ("point-of", 1.0, r"\b(the\s+point\s+of|used\s+for|purpose|important|why\s+would)\b"),
    ("work", 0.5, r"\b(work|works|working)\b"),
    ("question-mark", 0.5, r"\?"),
    ("possessive", -1.5, r"\b(my|mine)\b"),
)
_EXERCISE_CUES = _features(
    Intent.EXERCISE_REQUEST,
    ("exercise", 2.5, r"\b(exercise|exercises)\b"),
    ("practice", 2.5, r"\b(practice|practise|practicing|practising|train|drill)\b"),
    ("challenge", 2.5, r"\b(challenge|challenges|kata)\b"),
    ("quiz", 2.0, r"\b(quizz?|quizzes)\b"),
    ("task", 0.8, r"\b(problems?|tasks?|questions?|projects?|homework|assignments?|puzzles?)\b"),
    (
        "give-me-one",
        1.5,
        r"\b(give|get|have|want|like|need|set|make|create|generate|assign|send|try|do)\b.{0,30}"
        r"\b(exercises?|problems?|challenges?|quiz|quizzes|tasks?|questions?|projects?|homework|"
        r"assignments?|worksheets?|puzzles?|drills?)\b",
    ),
    (
        "another",
        3.0,
        r"\b(another|next|new|more|other)\s+(\w+\s+)?(exercises?|problems?|challenges?|tasks?|"
        r"questions?|quiz|puzzles?)\b|\b(another|next|new|different|harder|easier|tougher|simpler)"
        r"\s+ones?\b",
    ),
    ("difficulty", 1.5, r"\b(harder|easier|tougher|simpler|difficult|difficulty|beginner)\b"),
    ("something-harder", 1.5, r"\b(something|one)\s+(harder|easier|new|else|to\s+practi[cs]e)\b"),
    ("one-more", 3.0, r"\bone\s+more\b|\bmore\s+please\b"),
    (
        "something-to-try",
        3.0,
        r"\b(something|anything|stuff)\s+(to|i\s+can)\s+(try|do|practi[cs]e|work\s+on|solve|code)\b",
    ),
    ("get-better", 1.5, r"\b(get|getting)\s+better\s+at\b|\bimprove\s+(at|my)\b"),
    ("test-me", 3.0, r"\b(quiz|test|drill)\s+me\b"),
    ("whats-next", 1.5, r"\bwhat\s+is\s+next\b|\bready\s+for\b"),
    ("let-me-try", 1.0, r"\blet\s+(me|us)\s+(try|do)\b"),
)
_CODE_HELP_CUES = _features(
    Intent.CODE_HELP,
    ("error", 1.0, r"\b(\w+error|error|errors|exception)\b"),
    ("traceback", 2.5, r"\btraceback\b"),
    (
        "i-get-error",
        2.0,
        r"(?<!did\s)(?<!have\s)\b(i|it|this|that|my\s+\w+)\s+(get|gets|got|keep\s+getting|"
        r"am\s+getting|keeps?|gives?|"
        r"throws?|raises?|says?|said|shows?|prints?|returns?|outputs?)\b"
        r".{0,30}\b(\w+error|error|exception|none|nothing|wrong|same|weird|0|zero|instead)\b",
    ),
    (
        "getting",
        1.5,
        r"\b(keep\s+getting|am\s+getting|am\s+i\s+getting|getting\s+(an?\s+)?\w*error)\b",
    ),
    (
        "my-code",
        1.5,
        r"\bmy\s+(code|program|script|function|loop|class|output|list|dictionary|dict|"
        r"recursion|if|while|for|variable|method|test|tests|lookup|file)\b",
    ),
    (
        "not-working",
        2.5,
        r"\b(not|never)\s+(work|works|working|run|runs|running|compile|stop|stops|end|ends|print|"
        r"prints|printing|pass|passing|right)\b|\bnothing\s+(works|is\s+working|happens|prints)\b",
    ),
    ("broken", 2.0, r"\b(broken|bug|bugs|buggy|crash|crashes|crashing|crashed|fails?|failing)\b"),
    ("fix", 2.0, r"\b(fix|debug|debugging|solve\s+this)\b"),
    ("wrong", 1.5, r"\b(wrong|incorrect|instead\s+of)\b"),
    ("stuck", 2.5, r"\b(stuck|lost|struggling|frustrated)\b"),
    ("help", 1.0, r"\b(help|helps)\b"),
    ("hint", 3.0, r"\b(hint|hints|clue|nudge)\b"),
    (
        "give-answer",
        3.0,
        r"\b(give|tell|show)\s+me\s+(the\s+)?(full\s+)?(answer|solution|code)\b"
        r"|\bjust\s+(give|tell|show|write)\b|\b(write|do|code|solve)\s+it\s+for\s+me\b"
        r"|\bwhat\s+to\s+type\b",
    ),
    ("line-n", 1.5, r"\bline\s+\d+\b"),
    ("forever", 1.5, r"\b(infinite|forever|never\s+(stops|ends))\b"),
    (
        "error-text",
        2.0,
        r"\b(invalid\s+syntax|indented\s+block|not\s+defined|out\s+of\s+range|no\s+attribute|"
        r"not\s+callable|not\s+subscriptable|not\s+supported|no\s+module\s+named|"
        r"can\s+only\s+concatenate|unexpected\s+indent|division\s+by\s+zero|not\s+iterable|"
        r"object\s+(is\s+not|has\s+no))\b",
    ),
    ("why-my", 2.0, r"\bwhy\b.{0,20}\b(my|this|it|the\s+test|the\s+output)\b"),
    (
        "dont-know-why",
        1.5,
        r"\bdo\s+not\s+(know|understand)\s+(why|how\s+to\s+(start|fix|begin))\b"
        r"|\bwhat\s+am\s+i\s+(missing|doing\s+wrong)\b|\bwhat\s+is\s+wrong\b",
    ),
    (
        "misbehaves",
        2.0,
        r"\b(my|the|this)\s+(code|program|loop|function|list|output|script|class|method|if|while|"
        r"for\s+loop|while\s+loop|recursion|dictionary|dict)\b.{0,25}\b(skips?|ignores?|repeats?|"
        r"only|always|never|stops?|doubles?|misses?|loses?|overwrites?|goes)\b",
    ),
    ("cannot-see", 1.5, r"\bcan\s+not\s+(see|find|access|call|use|reach)\b"),
    ("start-exercise", 1.0, r"\bhow\s+to\s+(start|begin)\b"),
    ("tried", 1.0, r"\b(i\s+tried|tried|trying|been\s+trying)\b"),
)
_SUBMISSION_CUES = _features(
    Intent.SUBMISSION,
    ("submit", 3.5, r"\b(submit\w*|submission|hand\s+in|handing\s+in|turn\s+in)\b"),
    ("grade-it", 3.0, r"\b(grade|mark|evaluate|assess|score)\s+(my|it|this|exercise|the|that)\b"),
    ("check-it", 2.5, r"\bcheck\s+(my|this|it|if\s+(my|it|this)|please|again)\b"),
    (
        "my-solution",
        2.0,
        r"\b(my|the|this|final)\s+(solution|answer|attempt|work|submission|version)\b",
    ),
    ("here-is", 1.0, r"\b(here\s+is|here\s+you\s+go|this\s+is|that\s+is|here\s+it\s+is)\b"),
    (
        "is-it-right",
        3.0,
        r"\b(is|was|am|are)\s+(this|it|that|i|my\s+\w+)\s+(an?\s+)?(correct|right|ok|okay|good|fine|"
        r"efficient|readable|pythonic)\b|\bget\s+it\s+right\b|\bif\s+it\s+is\s+(ok|okay|correct)\b",
    ),
    ("correct", 1.0, r"\b(correct|right)\b"),
    ("done", 1.5, r"\b(done|finished|completed|solved)\b"),
    ("run-tests", 2.0, r"\brun\s+the\s+tests\b|\bpass(es)?\s+(all\s+)?(the\s+)?tests\b"),
    ("review", 2.5, r"\breview\s+(my|this|it|the\s+code)\b|\b(feedback|critique|pep\s*8)\b"),
    ("final", 1.5, r"\b(final|rewrote|rewritten|updated)\b"),
)
_PROGRESS_CUES = _features(
    Intent.PROGRESS_QUESTION,
    (
        "progress",
        3.0,
        r"\b(progress|mastery|streak|stats|statistics|dashboard|report|overview|performance)\b",
    ),
    (
        "my-score",
        3.0,
        r"\bmy\s+(\w+\s+)?(score|scores|grade|grades|level|levels|results|marks|points|alerts)\b",
    ),
    (
        "how-am-i-doing",
        3.5,
        r"\bhow\s+(am\s+i|are\s+my|is\s+my)\s+\w*\s*(doing|going)\b"
        r"|\bam\s+i\s+(improving|doing|ready|getting\s+better)\b"
        r"|\bhow\s+(i\s+did|did\s+i\s+do|i\s+am\s+doing)\b",
    ),
    ("how-many", 2.5, r"\bhow\s+(many|much)\b.{0,40}\b(have|did|do)\s+i\b"),
    ("next-topic", 2.5, r"\b(study|learn|work\s+on|focus\s+on|do|review)\s+next\b"),
    (
        "need-to-review",
        3.0,
        r"\b(topics?|areas?|modules?|lessons?|what)\b.{0,20}\b(need|should|ought)\s+to\s+"
        r"(review|revise|study|work\s+on|improve|focus\s+on|go\s+over)\b",
    ),
    ("alerts", 2.5, r"\b(alerts?|at\s+risk|struggling\s+students)\b"),
    ("recommend", 1.0, r"\b(recommend|suggest)\b"),
    ("weak", 2.5, r"\b(weak|weakest|weakness|weaknesses|strongest|strengths?)\b"),
    ("summary", 3.0, r"\b(summary|summarise|summarize|recap)\b"),
    # "what module am I up to", "which lesson am I on"
    ("up-to", 3.0, r"\b(what|which|where)\b.{0,25}\bam\s+i\s+(up\s+to|on|at)\b"),
    (
        "what-did-i",
        2.5,
        r"\b(what|which)\b.{0,20}\b(have|did)\s+i\s+(learn|learned|learnt|do|done|get\s+wrong|"
        r"practi[cs]ed|fail|failed|pass|passed|miss|missed|finish|finished|complete|completed)\b",
    ),
    (
        "did-i-pass",
        3.0,
        r"\b(did|have)\s+i\s+(pass|passed|fail|failed|finish|finished|complete|completed)\b",
    ),
    ("students", 2.0, r"\b(students|pupils)\b"),
    ("my-class", 1.0, r"\b(my|the)\s+class\b"),
    ("how-far", 2.5, r"\b(how\s+far|how\s+close|where\s+am\s+i)\b"),
    ("percent", 1.5, r"\b(percentage|percent)\b|\bso\s+far\b"),
    ("mistakes", 2.0, r"\b(mistakes|keep\s+making|get\s+wrong)\b"),
    ("session", 1.0, r"\b(session|today|this\s+week|last\s+quiz|last\s+session)\b"),
    ("improving", 1.5, r"\b(improving|improved|getting\s+better|on\s+track)\b"),
    ("move-on", 1.5, r"\bmove\s+on\b|\bready\s+to\b"),
    ("level", 1.5, r"\b(what\s+level|which\s+level|my\s+level)\b"),
)
_OFF_TOPIC_CUES = _features(
    Intent.OFF_TOPIC,
    (
        "small-talk",
        1.5,
        r"^(hi|hello|hey|hiya|yo|good\s+(morning|afternoon|evening|night)|bye|goodbye|see\s+you|"
        r"thanks|thank\s+you|ok|okay|lol|cool|nice|great|i\s+am\s+bored|who\s+are\s+you)\b",
    ),
    (
        "other-subject",
        2.5,
        r"\b(weather|joke|jokes|funny|movie|movies|film|music|song|poem|pizza|dinner|lunch|food|"
        r"recipe|football|soccer|basketball|world\s+cup|messi|ronaldo|president|capital|"
        r"history|chemistry|physics|biology|maths|essay|cover\s+letter|phone|minecraft|"
        r"spanish|french|german|translate|colour|color|favourite|favorite|bored|meaning\s+of\s+life|"
        r"time\s+is\s+it|photosynthesis|revolution|everest|mountain|team|celebrity|girlfriend|"
        r"boyfriend|weekend|holiday)\b",
    ),
    ("other-language", 3.0, OTHER_LANGUAGE.pattern),
    ("who-are-you", 2.0, r"\bwho\s+are\s+you\b|\bare\s+you\s+(a|an)\s+(bot|human|robot|ai)\b"),
)
_UNSAFE_CUES = _features(
    Intent.UNSAFE,
    # Prompt injection and attempts to read the hidden configuration.
    (
        "ignore-instructions",
        5.0,
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?|"
        r"guidelines?|directions|restrictions|filters?|safety|guardrails|programming|"
        r"everything\s+(you|i))\b",
    ),
    (
        "system-prompt",
        5.0,
        r"\bsystem\s+prompt\b|\byour\s+(hidden\s+|secret\s+|initial\s+|original\s+|internal\s+)?"
        r"(instructions|prompt|configuration)\b|\bnew\s+instructions\b",
    ),
    ("hidden-answers", 2.0, r"\b(reveal|leak|dump)\b"),
    ("hidden-material", 1.5, r"\b(hidden\s+tests?|reference\s+solutions?|answer\s+key)\b"),
    ("admin-mode", 2.0, r"\b(admin|root|sudo|god|debug)\s+mode\b"),
    (
        "jailbreak",
        5.0,
        r"\b(jailbreak|jailbroken|developer\s+mode|god\s+mode|dan|do\s+anything\s+now)\b",
    ),
    (
        "role-play",
        1.5,
        r"\b(you\s+are\s+now|from\s+now\s+on|pretend|act\s+as|roleplay|role\s+play)\b",
    ),
    (
        "no-limits",
        3.0,
        r"\b(no|without|zero)\s+(any\s+)?(restrictions|rules|limits|filters|guidelines|censorship|"
        r"limitations)\b|\b(unrestricted|unfiltered|uncensored)\b",
    ),
    (
        "disable-safety",
        5.0,
        r"\b(disable|turn\s+off|switch\s+off|remove)\b.{0,20}\b(safety|filters?)\b",
    ),
    # Hacking, malware and abuse of other people's systems or data.
    ("hack", 3.5, r"\bhack(s|ing|ed|er|ers)?\b"),
    # Cheating the grading: "mark my exercises as passed without actually solving them".
    (
        "pass-without-solving",
        4.0,
        r"\b(mark|marked|count|counted|show|set)\b.{0,40}\b(passed|complete|completed|done|"
        r"solved)\b.{0,40}\bwithout\s+(actually\s+|really\s+)?(solving|doing|writing|finishing)\b",
    ),
    (
        "malware",
        5.0,
        r"\b(key\s*log+ers?|mal\s*wares?|ransomwares?|spywares?|trojans?|rootkits?|botnets?|"
        r"backdoors?|worms?\s+virus)\b",
    ),
    ("virus", 2.0, r"\bvirus(es)?\b"),
    (
        "make-malware",
        2.0,
        r"\b(write|make|create|build|code|program|develop)\b.{0,30}\b(virus|worm|exploit)\b",
    ),
    ("ddos", 5.0, r"\bd\s*dos\b|\bdenial\s+of\s+service\b"),
    ("phishing", 4.0, r"\b(phishing|phish|fake\s+login)\b"),
    ("steal", 2.5, r"\b(steal|steals|stealing|stolen|crack|cracking|brute\s*force|bruteforce)\b"),
    (
        "credentials",
        1.5,
        r"\b(passwords?|credentials|cookies|credit\s+cards?|identity|login|accounts?|email|"
        r"personal\s+(data|information|info)|private\s+(data|information|photos))\b",
    ),
    (
        "break-in",
        2.0,
        r"\b(get\s+into|break\s+into|log\s+into|access|bypass)\b.{0,30}\b(someone|somebody|my\s+ex|"
        r"my\s+friend|his|her|their|school|firewall|filter|paywall)\b",
    ),
    (
        "without-consent",
        2.5,
        r"\bwithout\s+(them|their|his|her|the\s+owner|anyone|consent|permission)\b",
    ),
    ("spam", 2.5, r"\b(spam|spams|spamming|flood|flooding)\b"),
    (
        "victim",
        1.0,
        r"\b(someone|somebody|people|my\s+ex|classmate|thousands|school|server|someone\s+else)\b",
    ),
    (
        "destroy-data",
        2.5,
        r"\b(delete|deletes|deleting|wipe|wipes|destroy|destroys|corrupt|corrupts|encrypt|encrypts)\b"
        r".{0,30}\b(all|every|everything|files|system|server|computer|data)\b",
    ),
    ("weapons", 4.0, r"\b(bomb|bombs|explosives?|weapons?|guns?|poison|meth|drugs)\b"),
    ("exploit", 2.0, r"\b(exploit|exploits|spy\s+on|track\s+someone)\b"),
    # Self-harm: routed to triage, which answers with care and points to help.
    (
        "self-harm",
        6.0,
        r"\b(kill|hurt|hurting|harm|harming|cut|cutting|end)\s+(myself|my\s+self|my\s+life)\b|"
        r"\bsuicid\w*|\bself\s+harm\w*|\bwant\s+to\s+die\b|\bnot\s+worth\s+living\b|"
        r"\bno\s+reason\s+to\s+live\b|\bend\s+it\s+all\b|\bbetter\s+off\s+dead\b|"
        r"\b(life|everything)\s+is\s+(pointless|meaningless|hopeless)\b|"
        r"\bdo\s+not\s+want\s+to\s+(live|be\s+alive|exist)\b",
    ),
    # Harassment and violence against people.
    (
        "harassment",
        4.0,
        r"\b(bully|bullying|harass|harassing|harassment|threaten|threatening|intimidate|humiliate|"
        r"dox|doxx|stalk|stalking|racist|sexist|slurs?|hate\s+speech)\b",
    ),
    ("insult", 2.5, r"\b(insult|insults|mean\s+message|make\s+\w+\s+cry|make\s+fun\s+of)\b"),
    (
        "hurt-someone",
        5.0,
        r"\b(kill|hurt|harm|attack|poison|stab|shoot|beat\s+up)\s+(him|her|them|someone|somebody|"
        r"people|everyone|others|a\s+person|my\s+(teacher|classmate|friend|brother|sister))\b",
    ),
)

_UNSAFE_RAW_CUES = (
    # A message dressed up as a system/admin turn.
    Feature(
        "fake-system", Intent.UNSAFE, 4.0, re.compile(r"^\s*(system|admin|developer)\s*:"), "raw"
    ),
    # Code meant to damage the machine it runs on.
    Feature(
        "destructive-code",
        Intent.UNSAFE,
        5.0,
        re.compile(r"rm\s+-rf\s+/|:\(\)\s*\{|/etc/(passwd|shadow)|system32"),
        "raw",
    ),
)

FEATURES: tuple[Feature, ...] = (
    *_CONCEPT_CUES,
    *_EXERCISE_CUES,
    *_CODE_HELP_CUES,
    *_SUBMISSION_CUES,
    *_PROGRESS_CUES,
    *_OFF_TOPIC_CUES,
    *_UNSAFE_CUES,
    *_UNSAFE_RAW_CUES,
)
