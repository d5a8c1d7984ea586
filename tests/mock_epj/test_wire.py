"""The one JSON writer at the edge: stored JSON text is spliced in as it is, everything else dumped."""

from __future__ import annotations

import json

from mock_epj.wire import Fragment, dumps, encode


def test_fragments_are_spliced_verbatim_wherever_they_stand() -> None:
    stored = '{"resourceType":"Patient","id":"p1","name":[{"family":"Ås"}]}'
    value = {"entry": [{"resource": Fragment(stored), "response": {"status": "200 OK"}}], "total": 1}
    text = dumps(value)
    assert stored in text
    assert json.loads(text) == {"entry": [{"resource": json.loads(stored), "response": {"status": "200 OK"}}],
                                "total": 1}


def test_strings_that_look_like_placeholders_stay_strings() -> None:
    value = {"a": "\0" + "0" * 16 + ":0\0", "b": Fragment("[1]"), "c": '"\\u0000'}
    assert json.loads(dumps(value)) == {"a": "\0" + "0" * 16 + ":0\0", "b": [1], "c": '"\\u0000'}


def test_a_top_level_fragment_is_its_text_and_none_is_no_body() -> None:
    assert dumps(Fragment('{"x":1}')) == '{"x":1}'
    assert encode(None) == b""
    assert encode({"navn": "Ærlig"}) == '{"navn":"Ærlig"}'.encode()
