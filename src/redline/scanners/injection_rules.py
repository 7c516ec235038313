"""Built-in prompt-injection and jailbreak rules: verb + target patterns with weights.

Every pattern runs on normalised text and must stay linear under Python `re` as well as RE2:
no nested unbounded quantifiers, and gaps are bounded runs of alternating ``\\W+`` / ``\\w+``
(disjoint classes, so each position has one parse).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BUILTIN_RULES", "Rule", "gap"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A named pattern and its weight in [0, 1]: the chance a match alone means an attack."""

    name: str
    weight: float
    pattern: str


def gap(max_words: int) -> str:
    """Up to `max_words` filler words between two parts of a rule (bounded, linear)."""
    return rf"(?:\W+\w+){{0,{max_words}}}\W+"


def _any(*words: str) -> str:
    return r"(?:" + "|".join(words) + r")"


_IGNORE = _any(
    "ignore", "disregard", "forget", "skip", "override", "overrule", "bypass", "discard",
    "neglect", "abandon", "drop", "set aside", "throw away", "pay no attention to",
    r"(?:do\W+not|don'?t|stop|no\W+longer)\W+(?:follow|obey)(?:ing)?",
)  # fmt: skip
_PRIOR = _any(
    "previous", "prior", "above", "earlier", "preceding", "foregoing", "initial", "original",
    "old", "existing", "system", "developer", "all", "your",
)  # fmt: skip
_ORDERS = _any(
    r"instructions?", r"prompts?", "rules", r"directives?", "guidelines", "guardrails",
    "constraints", "programming", "restrictions", "orders", "commands", "policies",
    "safety", "training", "context",
)  # fmt: skip
_REVEAL = _any(
    "reveal", "print", "show", "output", "repeat", "display", "tell me", "give me", "leak",
    "dump", "write out", "recite", "spell out", "share", "expose", "copy", "paste",
    "what (?:is|are|was|were)",
)  # fmt: skip
_HIDDEN = _any(
    "system", "initial", "original", "hidden", "secret", "internal", "developer", "confidential",
    "pre-?prompt", "first",
)  # fmt: skip
_PROMPT = _any(r"prompt", r"instructions?", r"message", "rules", "guidelines", "directives")
_UNBOUND = _any(
    "unfiltered", "uncensored", "unrestricted", "jailbroken", "unchained", "unbound", "amoral",
    "unethical", "evil", "rogue", "lawless", "limitless",
)  # fmt: skip
_LIMITS = _any(
    "restrictions", "limits", "limitations", "rules", "filters", "guidelines", "boundaries",
    "ethics", "morals", "content polic(?:y|ies)", "censorship", "safeguards", "guardrails",
)  # fmt: skip
_DISABLE = _any(
    "bypass", "disable", "turn off", "switch off", "remove", "override", "circumvent", "evade",
    "deactivate", "lift", "suspend",
)  # fmt: skip
_FILTERS = _any(
    r"filters?", "guardrails", "restrictions", "safeguards", "censorship", "alignment",
    r"safety (?:features|measures|settings|protocols)", "content policy", "ethical guidelines",
)  # fmt: skip

_I = "(?i)"
_MODE_VERB = (
    rf"{_I}\b(?:enable|activate|enter|switch\W+(?:in)?to|turn\W+on|you\W+are\W+(?:now\W+)?in)"
    rf"{gap(2)}"
)
BUILTIN_RULES: tuple[Rule, ...] = (
    Rule("ignore_previous", 0.9, rf"{_I}\b{_IGNORE}{gap(3)}{_PRIOR}{gap(2)}{_ORDERS}\b"),
    Rule("ignore_orders", 0.4, rf"{_I}\b{_IGNORE}\W+(?:the|these|those|any)\W+{_ORDERS}\b"),
    Rule(
        "reveal_prompt", 0.8, rf"{_I}\b{_REVEAL}{gap(3)}(?:your|its){gap(1)}{_HIDDEN}\W+{_PROMPT}"
    ),
    Rule("reveal_the_prompt", 0.5, rf"{_I}\b{_REVEAL}{gap(2)}the\W+{_HIDDEN}\W+{_PROMPT}\b"),
    Rule(
        "repeat_above",
        0.7,
        rf"{_I}\b(?:repeat|print|output|copy|echo|recite|translate){gap(2)}"
        r"(?:(?:everything|all|text|words|content|messages?|instructions)\W+(?:above|before\W+this)"
        r"|preceding\W+(?:text|messages?|instructions|words)|\w+\W+verbatim)\b",
    ),
    Rule(
        "ignore_what_told",
        0.7,
        rf"{_I}\b{_IGNORE}\W+(?:what|everything|anything|all){gap(3)}"
        r"(?:told|instructed|said|given|programmed)\b",
    ),
    Rule("ignore_above", 0.7, rf"{_I}\b{_IGNORE}\W+(?:the|everything|all)\W+(?:above|before)\b"),
    Rule(
        "what_were_you_told",
        0.6,
        rf"{_I}\bwhat{gap(2)}(?:you|were you)\W+(?:told|instructed|programmed|given)\b"
        rf"{gap(3)}(?:before|start|beginning|begin)",
    ),
    Rule("persona_unbound", 0.7, rf"{_I}\byou\W+are\W+(?:now\W+)?(?:an?\W+)?{_UNBOUND}\b"),
    Rule(
        "act_unbound",
        0.7,
        rf"{_I}\b(?:act|behave|respond|answer|roleplay|role-play)\W+as{gap(3)}{_UNBOUND}\W+"
        r"(?:ai|assistant|model|chatbot|version|bot|llm)\b",
    ),
    Rule("you_are_now", 0.35, rf"{_I}\byou\W+are\W+now\W+(?:a|an|my|the|called|named)\b"),
    Rule("dan", 0.7, r"(?:\bDAN\b|(?i:\bdo\W+anything\W+now\b))"),
    Rule(
        "special_mode",
        0.7,
        rf"{_MODE_VERB}(?:god|jailbreak|unrestricted|dan|evil|unfiltered)\W+mode\b",
    ),
    Rule("developer_mode", 0.3, rf"{_MODE_VERB}(?:developer|sudo|admin|debug)\W+mode\b"),
    Rule(
        "no_restrictions",
        0.75,
        rf"{_I}\b(?:(?:you|ai|assistant|model|chatbot|bot|who)\W+(?:have|has|had|are\W+under)"
        r"|operate\W+with|answer\W+with)\W+"
        rf"(?:no|zero)\W+(?:\w+\W+)?{_LIMITS}\b",
    ),
    Rule(
        "pretend_free",
        0.6,
        rf"{_I}\b(?:pretend|imagine|suppose|assume|hypothetically){gap(4)}"
        rf"(?:without|free\W+(?:of|from)|not\W+bound\W+by|no\W+longer\W+bound\W+by){gap(2)}"
        rf"{_LIMITS}\b",
    ),
    Rule(
        "no_ethics_here",
        0.7,
        rf"{_I}\bthere\W+(?:are|is)\W+no\W+(?:ethic\w*|safety|content|moral\w*)\W+{_LIMITS}\b",
    ),
    Rule(
        "without_limits",
        0.6,
        rf"{_I}\b(?:answer|respond|reply|speak|write|talk|act){gap(2)}without\W+(?:any\W+)?{_LIMITS}\b",
    ),
    Rule(
        "comply_with_all",
        0.5,
        rf"{_I}\byou\W+(?:will|must|shall)\W+(?:comply\W+with|obey|do)\W+"
        r"(?:everything|anything|all|whatever)\b",
    ),
    Rule(
        "prompt_you_were_given",
        0.5,
        rf"{_I}\b(?:prompt|instructions|rules)\W+(?:that\W+)?(?:you\W+(?:were|are|have\W+been)\W+"
        r"(?:given|initiali[sz]ed|configured|told|programmed)|configures?\W+you)\b",
    ),
    Rule(
        "no_longer_bound",
        0.7,
        rf"{_I}\b(?:no\W+longer|not|never)\W+(?:bound|restricted|limited|constrained)\W+by\b",
    ),
    Rule("disable_filters", 0.5, rf"{_I}\b{_DISABLE}{gap(2)}(?:your|its){gap(1)}{_FILTERS}\b"),
    Rule("disable_the_filters", 0.25, rf"{_I}\b{_DISABLE}{gap(2)}the\W+{_FILTERS}\b"),
    Rule(
        "policies_do_not_apply",
        0.6,
        rf"{_I}\b(?:ethic\w*|content|safety|openai|moral)\W+(?:\w+\W+)?"
        r"(?:guidelines|policies|rules|filters)\W+(?:do\W+not|don'?t|no\W+longer)\W+apply\b",
    ),
    Rule(
        "refusal_suppression",
        0.45,
        rf"{_I}\b(?:do\W+not|don'?t|never|must\W+not)\W+(?:ever\W+)?(?:refuse|decline|apologi[sz]e"
        r"|say\W+(?:no|sorry|you\W+can'?t)|add\W+(?:any\W+)?(?:warnings|disclaimers))\b",
    ),
    Rule(
        "new_instructions",
        0.5,
        rf"{_I}\b(?:new|updated|real|actual|true|revised|override)\W+"
        r"(?:instructions?|system\W+prompt|directives?|orders)\W*:",
    ),
    Rule(
        "from_now_on",
        0.35,
        rf"{_I}\bfrom\W+now\W+on\b{gap(1)}you\W+(?:will|must|are|shall|should|only)\b",
    ),
    Rule(
        "new_task",
        0.45,
        rf"{_I}\byour\W+(?:new|real|true|only|actual)\W+(?:task|goal|purpose|job|instructions?|role)"
        r"\W+(?:is|are|will\W+be)\b",
    ),
    Rule("chatml_role", 0.9, r"<\|im_start\|>\s*(?:system|assistant)|<\|(?:system|endoftext)\|>"),
    Rule("llama_role", 0.7, r"<<\s*/?SYS\s*>>|\[/?INST\]"),
    Rule(
        "markdown_role",
        0.6,
        r"(?im)^\W*(?:#{2,}|-{3,}|={3,})\s*(?:system|admin|developer|new instructions?)\b",
    ),
    Rule("xml_role", 0.4, r"(?i)</?\s*(?:system|system_prompt|sys|admin_instructions)\s*>"),
    Rule("line_role", 0.3, r"(?im)^\s*(?:system|developer)\s*(?:prompt)?\s*:\s*\w"),
    Rule(
        "address_the_ai",
        0.5,
        rf"{_I}\b(?:note|message|instructions?)\W+(?:to|for)\W+(?:the\W+)?"
        r"(?:ai|llm|assistant|chatbot|language\W+model|model)\b\W*:",
    ),
    Rule(
        "if_you_are_ai",
        0.4,
        rf"{_I}\bif\W+you\W+are\W+(?:an?\W+)?(?:ai|llm|language\W+model|assistant|chatbot)\b"
        rf"{gap(6)}(?:must|should|ignore|instead|do\W+not)\b",
    ),
    Rule(
        "exfiltrate",
        0.55,
        rf"{_I}\b(?:send|post|forward|email|upload|transmit|exfiltrate){gap(3)}"
        r"(?:conversation|chat|history|messages|data|context|prompt|keys|secrets|passwords|files"
        rf"|everything){gap(6)}(?:to|at)\W+(?:https?://|[\w.+-]+@[\w-]+\.)",
    ),
    Rule("markdown_exfil", 0.45, r"(?i)!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]{1,200}[?&]\w+="),
    Rule(
        "jailbreak_word",
        0.3,
        rf"{_I}\b(?:jailbreak|jailbroken|jailbreaking)\b{gap(4)}"
        r"(?:you|yourself|mode|prompt|chatgpt|assistant|ai)\b",
    ),
    Rule(
        "stay_in_character",
        0.25,
        rf"{_I}\b(?:stay|remain|keep)\W+in\W+character\b|\bbreak(?:ing)?\W+character\b",
    ),
    Rule(
        "dual_response",
        0.6,
        rf"{_I}\b(?:two|2|both)\W+(?:different\W+)?(?:responses|answers|replies)\b{gap(10)}"
        rf"{_UNBOUND}\b",
    ),
)
