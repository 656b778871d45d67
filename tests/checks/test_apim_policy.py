"""Policy XML parsing, fragment expansion and <base/> inheritance (checks/_apim_policy.py)."""

import pytest
from auditor.checks._apim_policy import Scope, always_applied, effective_sections, found_in, parse, policy_text

from auditor.api import DataError

NO_FRAGMENTS = {}.get


def doc(inbound: str) -> str:
    return f"<policies><inbound>{inbound}</inbound><backend><base /></backend><outbound /><on-error /></policies>"


def tags_by_scope(chain, fragments=NO_FRAGMENTS):
    return [(f.scope, f.element.tag) for f in found_in(effective_sections(chain, fragments))]


def test_base_pulls_in_every_enclosing_scope_most_specific_first():
    chain = [
        Scope("operation", doc('<base /><rate-limit calls="5" renewal-period="1" />')),
        Scope("api", doc('<base /><set-backend-service backend-id="aoai" />')),
        Scope("product", doc('<quota calls="100" renewal-period="60" /><base />')),
        Scope("global", doc("<cors><allowed-origins><origin>*</origin></allowed-origins></cors>")),
    ]
    assert tags_by_scope(chain) == [
        ("operation", "rate-limit"),
        ("api", "set-backend-service"),
        ("product", "quota"),
        ("global", "cors"),
        ("global", "allowed-origins"),
        ("global", "origin"),
    ]


def test_a_scope_without_base_cuts_off_everything_above_it():
    chain = [
        Scope("operation", doc("<base />")),
        Scope("api", doc('<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />')),
        Scope("product", doc('<rate-limit calls="5" renewal-period="1" />')),
        Scope("global", doc('<quota calls="5" renewal-period="1" />')),
    ]
    assert tags_by_scope(chain) == [("api", "cache-lookup")]


def test_missing_documents_and_sections_keep_inheriting():
    chain = [
        Scope("operation", None),
        Scope("api", "<policies><outbound><base /></outbound></policies>"),
        Scope(
            "global",
            doc('<rate-limit-by-key calls="9" renewal-period="60" counter-key="@(context.Subscription.Id)" />'),
        ),
    ]
    assert tags_by_scope(chain) == [("global", "rate-limit-by-key")]


def test_base_inside_a_nested_element_still_inherits():
    chain = [
        Scope("api", doc('<choose><when condition="@(true)"><base /></when></choose>')),
        Scope("global", doc('<rate-limit calls="1" renewal-period="1" />')),
    ]
    assert ("global", "rate-limit") in tags_by_scope(chain)


def test_fragments_expand_in_place_and_nest():
    fragments = {
        "limits": '<fragment><include-fragment fragment-id="metrics" /><llm-token-limit tokens-per-minute="10" '
        'counter-key="@(context.Subscription.Id)" /></fragment>',
        "metrics": '<fragment><llm-emit-token-metric><dimension name="API ID" /></llm-emit-token-metric></fragment>',
    }
    chain = [Scope("api", doc('<include-fragment fragment-id="limits" />'))]
    assert tags_by_scope(chain, fragments.get) == [
        ("api", "llm-emit-token-metric"),
        ("api", "dimension"),
        ("api", "llm-token-limit"),
    ]


def test_base_inside_a_fragment_inherits():
    chain = [
        Scope("api", doc('<include-fragment fragment-id="inherit" />')),
        Scope("global", doc('<quota calls="1" renewal-period="1" />')),
    ]
    fragments = {"inherit": "<fragment><base /></fragment>"}
    assert tags_by_scope(chain, fragments.get) == [("global", "quota")]


def test_missing_or_cyclic_fragments_are_data_errors():
    chain = [Scope("api", doc('<include-fragment fragment-id="gone" />'))]
    with pytest.raises(DataError, match="'gone'"):
        effective_sections(chain, NO_FRAGMENTS)
    loop = {"a": '<fragment><include-fragment fragment-id="a" /></fragment>'}
    with pytest.raises(DataError, match="nest deeper"):
        effective_sections([Scope("api", doc('<include-fragment fragment-id="a" />'))], loop.get)


@pytest.mark.parametrize(
    "xml",
    [
        '<!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><policies><inbound>&b;</inbound></policies>',
        '<!doctype policies SYSTEM "http://example.com/p.dtd"><policies />',
        "<policies><inbound><base /></policies>",
        "",
        "https://example.com/policy.xml",
    ],
)
def test_unsafe_or_malformed_xml_is_a_data_error(xml):
    with pytest.raises(DataError, match="scope x"):
        parse(xml, "scope x")


def test_rawxml_expressions_with_quotes_brackets_and_ampersands_parse():
    raw = (
        '<policies><inbound><choose><when condition="@(context.Request.Headers.GetValueOrDefault("x-tier","") '
        '== "free" && context.Request.Body.As<string>(preserveContent: true).Length > 0)">'
        '<rate-limit calls="{{free-calls}}" renewal-period="60" /></when></choose>'
        '<set-variable name="v" value="@{ var s = "}"; return s.Length < 2 ? \'a\' : "b"; }" />'
        "</inbound></policies>"
    )
    root = parse(raw, "api")
    when = root.find("inbound/choose/when")
    assert when is not None
    assert when.get("condition", "").endswith(".Length > 0)") and '"free" &&' in when.get("condition", "")
    assert root.find("inbound/choose/when/rate-limit").get("calls") == "{{free-calls}}"
    assert root.find("inbound/set-variable").get("value") == '@{ var s = "}"; return s.Length < 2 ? \'a\' : "b"; }'


def test_escaped_xml_format_from_the_published_list_example_parses():
    # The shape of ApiManagementListApiPolicies.json (2024-05-01 examples): format "xml" with a
    # leading comment and expressions already escaped (=&gt;); our own policy text.
    escaped = (
        "<!--\r\n    IMPORTANT:\r\n    - Position the <base> element within a section element to inherit.\r\n-->\r\n"
        '<policies>\r\n  <inbound>\r\n    <quota-by-key calls="5" bandwidth="2" renewal-period="3600" '
        'counter-key="ba" />\r\n    <base />\r\n  </inbound>\r\n  <outbound>\r\n'
        '    <set-body>@{ return string.Join(",", new[] { 1 }.Select(s =&gt; s.ToString())); }</set-body>\r\n'
        "    <base />\r\n  </outbound>\r\n</policies>"
    )
    chain = [Scope("api", escaped), Scope("global", doc('<rate-limit calls="1" renewal-period="1" />'))]
    assert tags_by_scope(chain) == [("api", "quota-by-key"), ("global", "rate-limit")]


def test_policy_text_refuses_links_and_non_text():
    assert policy_text("<policies />", "rawxml", "p") == "<policies />"
    assert policy_text("<policies />", "xml", "p") == "<policies />"
    with pytest.raises(DataError, match="link"):
        policy_text("https://contoso.blob.core.windows.net/policy.xml", "rawxml-link", "p")
    with pytest.raises(DataError, match="no XML"):
        policy_text({"inbound": []}, "rawxml", "p")


# --- limits under <choose>: only what every request meets counts ---------------------------------

LIMITS = {"rate-limit", "rate-limit-by-key", "quota", "quota-by-key"}
LIMIT = '<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(context.Subscription.Id)" />'
QUOTA = '<quota calls="1000" renewal-period="3600" />'


def always(inbound: str) -> str | None:
    sections = effective_sections([Scope("api", doc(inbound))], NO_FRAGMENTS)
    hit = always_applied(sections, LIMITS)
    return None if hit is None else hit.element.tag


@pytest.mark.parametrize(
    ("inbound", "expected"),
    [
        (LIMIT, "rate-limit-by-key"),
        (f'<choose><when condition="@(true)">{LIMIT}</when></choose>', None),
        (f'<choose><when condition="@(true)">{LIMIT}</when><otherwise /></choose>', None),
        (f'<choose><when condition="@(true)">{LIMIT}</when><otherwise>{QUOTA}</otherwise></choose>',
         "rate-limit-by-key"),
        (f'<choose><when condition="@(true)">{LIMIT}</when><when condition="@(false)"><set-header name="a" '
         f'exists-action="override"><value>b</value></set-header></when><otherwise>{QUOTA}</otherwise></choose>',
         None),
        (f'<choose><when condition="@(true)"><choose><when condition="@(1 > 0)">{LIMIT}</when>'
         f"<otherwise>{QUOTA}</otherwise></choose></when><otherwise>{LIMIT}</otherwise></choose>",
         "rate-limit-by-key"),
        (f'<limit-concurrency key="@(context.Request.IpAddress)" max-count="5">{QUOTA}</limit-concurrency>', "quota"),
        (f'<choose><when condition="@(true)">{LIMIT}</when></choose>{QUOTA}', "quota"),
    ],
    ids=["plain", "when-only", "empty-otherwise", "every-branch", "one-branch-bare", "nested", "container", "after"],
)
def test_a_limit_counts_only_when_every_request_meets_it(inbound, expected):
    assert always(inbound) == expected


def test_a_conditional_limit_falls_through_to_an_unconditional_one_in_a_base_scope():
    chain = [
        Scope("api", doc(f'<base /><choose><when condition="@(true)">{LIMIT}</when></choose>')),
        Scope("product", doc(QUOTA)),
    ]
    hit = always_applied(effective_sections(chain, NO_FRAGMENTS), LIMITS)
    assert hit is not None and (hit.scope, hit.element.tag) == ("product", "quota")
