"""The HTML of an explorer (root class `fidle-explorer`), in French.

The page holds the first state whole (its images, numbers and command) and, in a
<script type="application/json">, what the other states show: file names, texts and
numbers. docs/assets/javascripts/explorer.js only swaps them when a control moves, so an
image is loaded when its state is chosen, and nothing is computed in the browser.
Without JavaScript the controls stay hidden and a note says why. Ordered numbers are
a slider (arrow keys; aria-valuetext says the value), other values a radio group.
"""

from __future__ import annotations

import json
from html import escape

from fidle_examples.build.explorer import FOLDER, State, View, command, setting_text, value_text

NOSCRIPT = ("Sans JavaScript, le réglage ne peut pas être changé\u00a0: seul celui-ci est "
            "affiché. La commande ci-dessous le reproduit\u00a0; changez ses options pour en "
            "essayer d'autres.")


def render(view: View, figure_srcs: dict[str, str]) -> str:
    ident = f"fidle-explorer-{view.example}"
    state = view.initial
    runs = len({_point(s) for s in view.states})
    title = (f"Explorateur\u00a0: {len(view.states)} réglages, tirés "
             + ("d'une seule exécution réelle de l'exemple" if runs == 1
                else f"de {runs} exécutions réelles de l'exemple"))
    controls = "".join(_control(ident, index, key, control, values, state.choice[index])
                       for index, (key, control, values) in enumerate(view.controls))
    figures = "".join(
        f'<figure class="fidle-figure"><img src="{escape(figure_srcs[_src_key(name)])}" '
        f'alt="{escape(_alt(view, key, state))}" loading="lazy" data-figure="{index}">'
        f"<figcaption>{escape(view.captions[key])}</figcaption></figure>"
        for index, (key, name) in enumerate(state.files.items()))
    data = {
        "captions": list(view.captions.values()),
        "controls": [[value_text(control, v) for v in values]
                     for _, control, values in view.controls],
        "states": {s.key: _state_data(view, s) for s in view.states},
    }
    return (
        f'<div class="fidle-explorer" id="{ident}" role="group" '
        f'aria-labelledby="{ident}-title" data-search-exclude>'
        f'<p class="fidle-explorer__title" id="{ident}-title">{escape(title)}</p>'
        f'<p class="fidle-explorer__nojs">{escape(NOSCRIPT)}</p>'
        f'<div class="fidle-explorer__controls" hidden>{controls}</div>'
        f'<div class="fidle-explorer__figures">{figures}</div>'
        f'<div class="fidle-explorer__state" aria-live="polite" aria-atomic="true">'
        f"{_summary(view, state)}</div>"
        f'<p class="fidle-explorer__command">Pour refaire ce point\u00a0: '
        f"<code>{escape(command(view.example, view.profile, state.overrides))}</code></p>"
        f'<script type="application/json" class="fidle-explorer__data">{_json(data)}</script>'
        "</div>")


def _point(state: State) -> str:
    return repr(sorted(state.overrides.items()))


def _src_key(name: str) -> str:
    return f"{FOLDER}/{name.removesuffix('.svg')}"


def _alt(view: View, key: str, state: State) -> str:
    return f"{view.captions[key]} — {setting_text(view.controls, state.values)}"


def _ordered(values: tuple) -> bool:
    """Numbers (not booleans), at least three: a slider; anything else: radio buttons."""
    return len(values) >= 3 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                    for v in values)


def _control(ident: str, index: int, key: str, control, values: tuple, chosen: int) -> str:
    cid = f"{ident}-{key.replace('_', '-')}"
    texts = [value_text(control, v) for v in values]
    label = escape(control.label)
    if _ordered(values):
        return (f'<div class="fidle-explorer__control fidle-explorer__range">'
                f'<label for="{cid}">{label}</label>'
                f'<input type="range" id="{cid}" min="0" max="{len(values) - 1}" step="1" '
                f'value="{chosen}" aria-valuetext="{escape(texts[chosen])}" '
                f'data-control="{index}">'
                f'<output for="{cid}">{escape(texts[chosen])}</output>'
                f'<span class="fidle-explorer__bounds" aria-hidden="true">'
                f"<span>{escape(texts[0])}</span><span>{escape(texts[-1])}</span></span></div>")
    radios = "".join(
        f'<label><input type="radio" name="{cid}" value="{i}"'
        f'{" checked" if i == chosen else ""}> {escape(text)}</label>'
        for i, text in enumerate(texts))
    return (f'<fieldset class="fidle-explorer__control fidle-explorer__choices" '
            f'data-control="{index}"><legend>{label}</legend>{radios}</fieldset>')


def _summary(view: View, state: State) -> str:
    """The text alternative of a state: its setting, its numbers, its warnings (the
    script writes the same for the others, from the JSON)."""
    metrics = "".join(f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>"
                      for label, value in state.metrics)
    warnings = "".join(f'<p class="fidle-explorer__warning">{escape(w)}</p>'
                       for w in state.warnings)
    return (f'<p class="fidle-explorer__setting"><strong>Réglage affiché\u00a0:</strong> '
            f"{escape(setting_text(view.controls, state.values))}.</p>"
            + (f'<dl class="fidle-explorer__metrics">{metrics}</dl>' if metrics else "")
            + warnings)


def _state_data(view: View, state: State) -> dict:
    return {"files": list(state.files.values()),
            "setting": setting_text(view.controls, state.values),
            "metrics": [list(pair) for pair in state.metrics],
            "warnings": state.warnings,
            "command": command(view.example, view.profile, state.overrides)}


def _json(data: dict) -> str:
    """JSON that cannot end the <script> element holding it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
