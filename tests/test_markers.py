"""Markers inside a ```quiz fence (plugin/markers.py): a quiz is page text, so a numeric
answer can come from a run. The other marker tests are in test_plugin.py."""

from __future__ import annotations

from fidle_examples.plugin import markers

PAGE = """# Titre

```quiz
Combien de paramètres ? (`{{ fidle:metric mnist/code }}` reste tel quel)
= {{ fidle:metric mnist/parameters }} ± 0
    Après {{ fidle:config mnist/epochs }} époques.
```

```python
{{ fidle:metric mnist/in_code }}
```

~~~quizz
{{ fidle:metric mnist/not_a_quiz }}
~~~

- Dans une liste :

    ```quiz
    Q ?
    = {{ fidle:metric wine/test_mae }} ± 0,05
    ```

Après : {{ fidle:metric mnist/test_accuracy }}
"""


def test_markers_inside_a_quiz_fence_are_found_and_code_fences_still_hide_theirs():
    found = markers.find(PAGE)
    assert [(m.target, m.line) for m in found] == [
        ("mnist/parameters", 5), ("mnist/epochs", 6), ("wine/test_mae", 21),
        ("mnist/test_accuracy", 24)]


def test_markers_inside_a_quiz_fence_are_replaced_and_the_fence_kept():
    values = {"mnist/parameters": "199\u202f210", "mnist/epochs": "16",
              "wine/test_mae": "0,478", "mnist/test_accuracy": "97,74\u202f%"}
    out = markers.replace(PAGE, lambda m: values[m.target]).split("\n")
    assert out[2:7] == [
        "```quiz",
        "Combien de paramètres ? (`{{ fidle:metric mnist/code }}` reste tel quel)",
        "= 199\u202f210 ± 0",
        "    Après 16 époques.",
        "```"]
    assert out[9] == "{{ fidle:metric mnist/in_code }}"
    assert out[13] == "{{ fidle:metric mnist/not_a_quiz }}"
    assert out[20] == "    = 0,478 ± 0,05"
    assert out[23] == "Après : 97,74\u202f%"


def test_quiz_fence_shown_inside_a_longer_code_fence_stays_literal():
    text = "````markdown\n```quiz\n= {{ fidle:metric mnist/parameters }}\n```\n````\n"
    assert markers.find(text) == []
