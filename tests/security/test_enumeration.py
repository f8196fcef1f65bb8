"""Sign-in, reset, confirmation and registration answer alike for known and unknown accounts."""

from __future__ import annotations

import re

import pytest

KNOWN, UNKNOWN = "known@example.com", "unknown@example.com"


def _page(response, email: str) -> str:
    """The answer with the per-request and per-address parts taken out."""
    text = response.get_data(as_text=True).replace(email, "EMAIL")
    text = re.sub(r'(?i)nonce(-|="|": ")[A-Za-z0-9_-]+', "nonce", text)
    return re.sub(r'(csrf[-_]token"[^>]*(?:content|value)=")[^"]+', r"\1", text)


@pytest.fixture
def known(make_user):
    return make_user(KNOWN, username="knownuser")


def test_generic_responses_are_on(app):
    assert app.config["SECURITY_RETURN_GENERIC_RESPONSES"] is True


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"email": "{email}", "password": "not the password"}),
        ("/reset", {"email": "{email}"}),
        ("/confirm", {"email": "{email}"}),
        ("/recover-username", {"email": "{email}"}),
        ("/us-signin", {"identity": "{email}", "passcode": "123456", "submit": "Sign in"}),
        (
            "/us-signin/send-code",
            {"identity": "{email}", "chosen_method": "email", "submit_send_code": "Send"},
        ),
    ],
)
def test_the_same_answer_for_known_and_unknown(client, known, path, data):
    def ask(email: str):
        body = {key: value.format(email=email) for key, value in data.items()}
        return client.post(path, data=body)

    known_answer, unknown_answer = ask(KNOWN), ask(UNKNOWN)
    assert known_answer.status_code == unknown_answer.status_code
    assert known_answer.headers.get("Location") == unknown_answer.headers.get("Location")
    assert _page(known_answer, KNOWN) == _page(unknown_answer, UNKNOWN)


def test_json_answers_match_too(client, known):
    for path, field in (("/reset", "email"), ("/login", "email"), ("/confirm", "email")):
        answers = []
        for email in (KNOWN, UNKNOWN):
            response = client.post(path, json={field: email, "password": "not the password"})
            body = response.get_json()
            body.get("response", {}).pop("csrf_token", None)
            answers.append((response.status_code, body))
        assert answers[0] == answers[1], path


@pytest.mark.settings(SECURITY_REGISTERABLE=True)
def test_registering_a_taken_address_looks_like_a_new_one(client, known, outbox):
    def register(email: str):
        return client.post(
            "/register",
            data={"email": email, "password": "a long new password 42", "password_confirm":
                  "a long new password 42"},
        )  # fmt: skip

    taken, fresh = register(KNOWN), register(UNKNOWN)
    assert taken.status_code == fresh.status_code
    assert taken.headers.get("Location") == fresh.headers.get("Location")
    # The owner of the taken address is told by mail instead of the visitor on screen.
    assert {m.recipient_list()[0] for m in outbox()} == {KNOWN, UNKNOWN}
