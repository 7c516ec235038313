"""The PII scanner: checksum-validated positives, hard negatives, redaction, masked evidence."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.errors import MissingExtraError
from redline.scanners.base import Action, ScanContext, Scanner, ScannerPipeline

pytest.importorskip("presidio_analyzer")
import tldextract

from redline.scanners import pii
from redline.scanners.pii import PiiScanner, PiiSettings, mask_middle

OUTPUT = ScanContext(direction="output")

POSITIVES = [
    ("EMAIL_ADDRESS", "jane.doe@example.com"),
    ("EMAIL_ADDRESS", "ops+alerts@mail.example.co.uk"),
    ("PHONE_NUMBER", "+1 (415) 555-0134"),
    ("PHONE_NUMBER", "+44 20 7946 0958"),
    ("CREDIT_CARD", "4111 1111 1111 1111"),
    ("CREDIT_CARD", "5500-0000-0000-0004"),
    ("CREDIT_CARD", "2223 0000 4841 0010"),  # Mastercard 2-series: Presidio's pattern misses it
    ("CREDIT_CARD", "4436340765651606112"),  # 19 digits: Presidio's pattern misses it
    ("IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
    ("IBAN_CODE", "DE89370400440532013000"),
    ("US_SSN", "219-09-9999"),
    ("IP_ADDRESS", "192.168.1.20"),
    ("IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"),
    ("CRYPTO", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
    ("MAC_ADDRESS", "00:1A:2B:3C:4D:5E"),
]

HARD_NEGATIVES = [
    "Your order 4111 1111 1111 1112 has shipped.",  # card-shaped, fails Luhn
    "Reference 1234 5678 9012 3456 is on the invoice.",  # card-shaped, fails Luhn
    "Batch 2223 0000 4841 0011 was re-run.",  # 2-series shape, fails Luhn
    "Pay to GB82 WEST 1234 5698 7654 33 by Friday.",  # IBAN-shaped, wrong check digits
    "Upgrade to version 1.2.3.4 before the release.",  # dotted quad that is a version
    "The installer is build 10.0.0.1 and firmware v2.4.1.7.",
    "We run Python 3.11.4 and Node 20.10.0.",
    "Ticket 123456789 was closed.",  # nine digits alone are not an SSN here
    "Write to admin@localhost on the test box.",  # no public suffix
    "The meeting moved to 3 p.m. on 2024-05-01 in room 4.",
]


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Build analyzers anew inside the test, and leave no half-built one behind."""
    pii._analyzer.cache_clear()
    pii._anonymizer.cache_clear()
    yield
    pii._analyzer.cache_clear()
    pii._anonymizer.cache_clear()


def test_the_scanner_obeys_the_protocol() -> None:
    assert isinstance(PiiScanner(), Scanner)
    assert PiiScanner().name == "pii"


@pytest.mark.parametrize(("entity", "value"), POSITIVES)
def test_finds_each_entity_with_its_span(entity: str, value: str) -> None:
    text = f"Sure, the value you asked for is {value}. Anything else?"
    finding = PiiScanner().scan(text, OUTPUT)
    assert finding.score > 0
    spans = {(e.rule, text[e.start : e.end]) for e in finding.evidence}
    assert (entity, value) in spans


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_find_nothing(text: str) -> None:
    finding = PiiScanner().scan(text, OUTPUT)
    assert finding.score == 0.0, finding.evidence
    assert finding.redacted is None


def test_a_valid_card_scores_above_a_phone_number() -> None:
    scanner = PiiScanner()
    card = scanner.scan("card 4111 1111 1111 1111", OUTPUT)
    phone = scanner.scan("call +1 (415) 555-0134", OUTPUT)
    assert card.score == 1.0
    assert 0 < phone.score < card.score


def test_a_stricter_reading_hides_a_looser_one_of_the_same_text() -> None:
    # `phonenumbers` reads this address as a phone number too.
    text = "keep getting address 86.42.102.105 blocked"
    finding = PiiScanner().scan(text, OUTPUT)
    assert [(e.rule, text[e.start : e.end]) for e in finding.evidence] == [
        ("IP_ADDRESS", "86.42.102.105")
    ]


# Prose around a value: letters of several scripts, digits-free so no second value appears.
_PROSE = st.text(
    alphabet=st.sampled_from("abc xyz ÄÖü é ß 日本 😀 Ωλ ,.;:!?()-\n\t"), max_size=40
).map(lambda s: f"{s} ")


@given(before=_PROSE, after=_PROSE, entry=st.sampled_from(POSITIVES))
def test_spans_index_the_original_text_and_redaction_removes_the_value(
    before: str, after: str, entry: tuple[str, str]
) -> None:
    entity, value = entry
    text = f"{before}{value} {after}"
    finding = PiiScanner().scan(text, OUTPUT)
    assert (entity, value) in {(e.rule, text[e.start : e.end]) for e in finding.evidence}
    assert finding.redacted is not None
    assert value not in finding.redacted
    assert f"<{entity}>" in finding.redacted
    assert all(e.excerpt != text[e.start : e.end] for e in finding.evidence)


def test_redaction_replaces_every_value_with_its_placeholder() -> None:
    values = dict(POSITIVES[::2])
    text = " and ".join(f"{entity.lower()} {value}" for entity, value in values.items())
    finding = PiiScanner().scan(text, OUTPUT)
    expected = text
    for entity, value in values.items():
        expected = expected.replace(value, f"<{entity}>")
    assert finding.redacted == expected
    assert not any(value in finding.redacted for value in values.values())


def test_evidence_masks_the_middle_of_every_value() -> None:
    text = "mail jane.doe@example.com, card 4111 1111 1111 1111, ssn 219-09-9999"
    finding = PiiScanner().scan(text, OUTPUT)
    assert len(finding.evidence) == 3
    for evidence in finding.evidence:
        value = text[evidence.start : evidence.end]
        assert evidence.excerpt != value
        assert evidence.excerpt == value[:2] + "*" * (len(value) - 4) + value[-2:]


@pytest.mark.parametrize(
    ("value", "masked"),
    [("", ""), ("abc", "***"), ("abcdefgh", "ab****gh"), ("abcdef", "a****f")],
)
def test_mask_middle_hides_short_values_whole(value: str, masked: str) -> None:
    assert mask_middle(value) == masked


def test_mask_middle_cuts_long_values_to_the_excerpt_length() -> None:
    masked = mask_middle("x" * 500)
    assert len(masked) == 80
    assert masked.endswith("…")


def test_allow_list_and_entity_choice_are_settings() -> None:
    text = "write to jane.doe@example.com or see https://example.com/docs"
    default = PiiScanner().scan(text, OUTPUT)
    assert {e.rule for e in default.evidence} == {"EMAIL_ADDRESS"}
    allowed = PiiScanner(PiiSettings(allow_list=("jane.doe@example.com",))).scan(text, OUTPUT)
    assert allowed.score == 0.0
    with_urls = PiiSettings(entities=(*pii.DEFAULT_ENTITIES, "URL"))
    found = PiiScanner(with_urls).scan(text, OUTPUT).evidence
    # The address's domain is not reported again as a URL.
    assert sorted((e.rule, text[e.start : e.end]) for e in found) == [
        ("EMAIL_ADDRESS", "jane.doe@example.com"),
        ("URL", "https://example.com/docs"),
    ]


def test_unknown_entities_are_refused() -> None:
    with pytest.raises(ValueError, match="PERSON"):
        PiiScanner(PiiSettings(entities=("EMAIL_ADDRESS", "PERSON")))


@pytest.mark.usefixtures("fresh_cache")
def test_building_and_scanning_never_touch_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    # tldextract's shared extractor downloads the suffix list unless a disk cache already
    # holds it (as on a machine that ran it once): calling it at all is the fault.
    monkeypatch.setattr(tldextract, "extract", refuse)
    finding = PiiScanner().scan("reach me at jane.doe@example.com", OUTPUT)
    assert [e.rule for e in finding.evidence] == ["EMAIL_ADDRESS"]
    assert attempts == []


@pytest.mark.usefixtures("fresh_cache")
def test_a_missing_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)
    with pytest.raises(MissingExtraError, match=r"redline\[llm\]"):
        PiiScanner().scan("jane.doe@example.com", OUTPUT)


def test_the_pipeline_applies_the_redaction() -> None:
    pipeline = ScannerPipeline([PiiScanner()], thresholds={"pii": (0.3, Action.REDACT)})
    verdict = pipeline.scan("my card is 4111 1111 1111 1111, thanks", OUTPUT)
    assert verdict.action is Action.REDACT
    assert verdict.text == "my card is <CREDIT_CARD>, thanks"


@pytest.mark.parametrize(
    "text",
    ["call me at +1 (415) 555-0134", "mail jane.doe@example.com", "card 4111 1111 1111 1111"],
)
def test_the_default_pipeline_redacts_each_common_entity(text: str) -> None:
    from redline.scanners import default_pipeline

    verdict = default_pipeline().scan(text, OUTPUT)
    assert verdict.action is Action.REDACT, verdict.findings
    assert "<" in verdict.text
    assert text.split()[-1] not in verdict.text
