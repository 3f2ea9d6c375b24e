"""The strict Content-Security-Policy holds on every page each role reaches: no
`securitypolicyviolation` event and no "Refused to …" console message, with the policy
enforced (unlike the axe-core audit, which bypasses it to inject axe)."""
from __future__ import annotations

from collections import defaultdict

import pytest

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
                              + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def test_no_page_breaks_the_content_security_policy(open_as, demo_site):
    by_role: dict[str, list[str]] = defaultdict(list)
    for page_ in demo_site.reachable_pages():
        by_role[page_.role].append(page_.path)
    problems: list[str] = []
    for role, paths in sorted(by_role.items()):
        with open_as(role, "ar") as (context, page):
            context.add_init_script(RECORD_VIOLATIONS)
            refused: list[str] = []
            page.on("console", lambda message: refused.append(message.text)
                    if "Content Security Policy" in message.text or message.text.startswith("Refused") else None)
            for path in paths:
                response = page.goto(path)
                header = response.headers.get("content-security-policy", "") if response else ""
                if response is not None and response.status < 500 and "default-src 'self'" not in header:
                    problems.append(f"{role} {path}: no Content-Security-Policy header")
                page.wait_for_load_state("load")
                problems += [f"{role} {path}: {item}" for item in page.evaluate("window.__cspViolations || []")]
                problems += [f"{role} {path}: {text}" for text in refused]
                refused.clear()
    assert not problems, "\n".join(problems)
