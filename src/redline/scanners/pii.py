"""PII: Presidio's pattern recognizers (no NLP model), checksum-validated, with redaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from redline.errors import MissingExtraError
from redline.scanners.base import EXCERPT_CHARS, Evidence, Finding, ScanContext

if TYPE_CHECKING:
    from collections.abc import Callable

    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
    from presidio_anonymizer import AnonymizerEngine

__all__ = [
    "DEFAULT_ENTITIES",
    "OPTIONAL_ENTITIES",
    "PiiScanner",
    "PiiSettings",
    "mask_middle",
    "redact",
]

# Checksums (Luhn, IBAN mod 97, crypto addresses) or tight formats keep these precise without
# an NLP model; phone numbers are validated per region by `phonenumbers`.
DEFAULT_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_ITIN",
    "IP_ADDRESS",
    "CRYPTO",
    "MAC_ADDRESS",
    "UK_NHS",
)
# Off by default: URLs are ordinary in answers, and the rest match any long run of digits.
OPTIONAL_ENTITIES = ("URL", "US_BANK_NUMBER", "US_PASSPORT", "US_DRIVER_LICENSE", "UUID")

# "version 1.2.3.4", "build 10.0.0.1": dotted quads that are release numbers, not hosts.
_VERSION_BEFORE = re.compile(r"\b(?:v|ver|version|release|build|firmware)\.?\s*$", re.IGNORECASE)
# Card numbers Presidio's pattern misses: Mastercard's 2-series (2221-2720) and 19-digit
# numbers (Visa, Discover, UnionPay). Luhn still decides, as for Presidio's own pattern.
_EXTRA_CARD_PATTERNS = (
    ("Mastercard 2-series", r"\b2[2-7]\d{2}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b"),
    ("19-digit cards", r"\b[3-6]\d{3}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{3}\b"),
)
_MAX_EVIDENCE = 20
# A looser reading inside a stricter one is the same text: an address's domain is also a URL
# to Presidio, and `phonenumbers` reads many IPv4 addresses and card numbers as phone numbers.
_SHADOWED_BY = {
    "URL": ("EMAIL_ADDRESS",),
    "PHONE_NUMBER": ("IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE"),
}


@dataclass(frozen=True, slots=True)
class PiiSettings:
    """What the PII scanner looks for; hashable, so one analyzer is built per distinct setting."""

    entities: tuple[str, ...] = DEFAULT_ENTITIES
    # Each region costs a pass of `phonenumbers` over the text; numbers written with a
    # leading +country code are found whatever the regions.
    phone_regions: tuple[str, ...] = ("US", "GB")
    # Presidio's "very weak" patterns (0.05, e.g. any nine digits as an SSN) stay out.
    min_score: float = 0.3
    allow_list: tuple[str, ...] = ()
    language: str = "en"


class PiiScanner:
    """Finds PII with checksum-validated patterns; evidence is masked, `redacted` has placeholders."""

    name = "pii"
    cost = 50

    def __init__(self, settings: PiiSettings | None = None) -> None:
        self.settings = settings or PiiSettings()
        unknown = set(self.settings.entities) - set(DEFAULT_ENTITIES + OPTIONAL_ENTITIES)
        if unknown:
            raise ValueError(f"unknown PII entities: {sorted(unknown)}")

    def warm_up(self) -> None:
        """Build the analyzer and anonymizer now rather than on the first scan."""
        _analyzer(self.settings)
        _anonymizer()

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Return the PII found; the score is the highest recognizer confidence."""
        results = self.analyze(text)
        if not results:
            return Finding(self.name, 0.0)
        evidence = tuple(
            Evidence(r.entity_type, r.start, r.end, mask_middle(text[r.start : r.end]))
            for r in results[:_MAX_EVIDENCE]
        )
        score = max(float(r.score) for r in results)
        return Finding(self.name, min(score, 1.0), evidence, redact(text, results))

    def analyze(self, text: str) -> list[RecognizerResult]:
        """Return Presidio's results for `text`, ordered by position, version numbers dropped."""
        settings = self.settings
        found = _analyzer(settings).analyze(
            text,
            language=settings.language,
            entities=list(settings.entities),
            score_threshold=settings.min_score,
            allow_list=list(settings.allow_list) or None,
        )
        kept = [r for r in found if not (_is_version_number(text, r) or _is_shadowed(r, found))]
        return sorted(kept, key=lambda r: (r.start, -r.end))


def mask_middle(value: str, *, keep: int = 2) -> str:
    """Hide the middle of `value` so that evidence never repeats the PII it points at."""
    shown = min(keep, len(value) // 4)
    hidden = len(value) - 2 * shown
    masked = value[:shown] + "*" * hidden + (value[-shown:] if shown else "")
    return masked if len(masked) <= EXCERPT_CHARS else masked[: EXCERPT_CHARS - 1] + "…"


def redact(text: str, results: list[RecognizerResult]) -> str:
    """Replace every result's span with ``<ENTITY_TYPE>`` using presidio-anonymizer."""
    from presidio_anonymizer.entities import RecognizerResult as SpanResult

    spans = [SpanResult(r.entity_type, r.start, r.end, r.score) for r in results]
    return str(_anonymizer().anonymize(text=text, analyzer_results=spans).text)


def _is_version_number(text: str, result: RecognizerResult) -> bool:
    if result.entity_type != "IP_ADDRESS":
        return False
    return _VERSION_BEFORE.search(text, max(0, result.start - 16), result.start) is not None


def _is_shadowed(result: RecognizerResult, found: list[RecognizerResult]) -> bool:
    shadows = _SHADOWED_BY.get(result.entity_type, ())
    return any(
        other.entity_type in shadows and other.start <= result.start and result.end <= other.end
        for other in found
    )


@lru_cache(maxsize=8)
def _analyzer(settings: PiiSettings) -> AnalyzerEngine:
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
    except ImportError as exc:
        raise MissingExtraError("llm", needed_for="the PII scanner") from exc
    # No spaCy model: every recognizer used here is a self-contained pattern or validator.
    engine = NoOpNlpEngine(models=[{"lang_code": settings.language, "model_name": "none"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=[settings.language])
    factories = _recognizer_factories(settings)
    for entity in settings.entities:
        registry.add_recognizer(factories[entity]())
    return AnalyzerEngine(
        registry=registry, nlp_engine=engine, supported_languages=[settings.language]
    )


@lru_cache(maxsize=1)
def _anonymizer() -> AnonymizerEngine:
    try:
        from presidio_anonymizer import AnonymizerEngine
    except ImportError as exc:
        raise MissingExtraError("llm", needed_for="PII redaction") from exc
    # presidio-anonymizer ships py.typed but leaves its constructor unannotated.
    return AnonymizerEngine()  # type: ignore[no-untyped-call]


def _recognizer_factories(settings: PiiSettings) -> dict[str, Callable[[], EntityRecognizer]]:
    from presidio_analyzer import predefined_recognizers as known

    language = settings.language
    return {
        "EMAIL_ADDRESS": lambda: _offline_email_recognizer(language),
        "PHONE_NUMBER": lambda: known.PhoneRecognizer(
            supported_language=language, supported_regions=list(settings.phone_regions)
        ),
        "CREDIT_CARD": lambda: _card_recognizer(language),
        "IBAN_CODE": lambda: known.IbanRecognizer(supported_language=language),
        "US_SSN": lambda: known.UsSsnRecognizer(supported_language=language),
        "US_ITIN": lambda: known.UsItinRecognizer(supported_language=language),
        "IP_ADDRESS": lambda: known.IpRecognizer(supported_language=language),
        "CRYPTO": lambda: known.CryptoRecognizer(supported_language=language),
        "MAC_ADDRESS": lambda: known.MacAddressRecognizer(supported_language=language),
        "UK_NHS": lambda: known.NhsRecognizer(supported_language=language),
        "URL": lambda: known.UrlRecognizer(supported_language=language),
        "US_BANK_NUMBER": lambda: known.UsBankRecognizer(supported_language=language),
        "US_PASSPORT": lambda: known.UsPassportRecognizer(supported_language=language),
        "US_DRIVER_LICENSE": lambda: known.UsLicenseRecognizer(supported_language=language),
        "UUID": lambda: known.UuidRecognizer(supported_language=language),
    }


def _card_recognizer(language: str) -> EntityRecognizer:
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

    # The weak base score of Presidio's own pattern: a Luhn-valid match is raised to 1.0.
    extra = [Pattern(name, regex, 0.3) for name, regex in _EXTRA_CARD_PATTERNS]
    patterns = [*CreditCardRecognizer.PATTERNS, *extra]
    return CreditCardRecognizer(supported_language=language, patterns=patterns)


def _offline_email_recognizer(language: str) -> EntityRecognizer:
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    # Presidio's own check calls `tldextract.extract`, which downloads the public suffix list
    # on first use; this one reads the snapshot inside the tldextract package, no disk cache.
    extract = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extract(pattern_text).fqdn != ""

    return OfflineEmailRecognizer(supported_language=language)
