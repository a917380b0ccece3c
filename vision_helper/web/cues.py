"""Cues for the page and for speech: numbered (each said once), shown while recent."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class QueuedCue:
    id: int
    text: str
    t: float

class CueQueue:
    """Cues for the page and for speech: numbered (so each is said once), the latest few kept for display."""

    def __init__(self, keep: int = 8) -> None:
        self._next_id = 1
        self._ended_id = 0
        self.recent: deque[QueuedCue] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def push(self, texts: Sequence[str], t: float) -> None:
        with self._lock:
            for text in texts:
                if not text:
                    continue
                self.recent.append(QueuedCue(self._next_id, text, t))
                self._next_id += 1

    def clear(self) -> None:
        """Forget the cues shown so far (numbering goes on, so nothing is said twice)."""
        with self._lock:
            self.recent.clear()

    def latest(self) -> QueuedCue | None:
        with self._lock:
            return self.recent[-1] if self.recent and self.recent[-1].id != self._ended_id else None

    def end_latest(self) -> None:
        """The user has done what the latest cue asked (the coach's Coaching.now is ""): stop showing it."""
        with self._lock:
            if self.recent:
                self._ended_id = self.recent[-1].id

def speech_text(text: str) -> str:
    """What a speech synthesiser should read: feedback.speech_text's rules, for a plain cue string."""
    from vision_helper.feedback import Cue
    from vision_helper.feedback import speech_text as _speech

    return _speech(Cue("page", text, 0.0, 0))

def speech_html(cues: Sequence[QueuedCue], lang: str = "en-GB") -> str:
    """A tiny script for st.components.v1.html that says each new cue once with the Web Speech API.

    The page renders it with the current cue on every refresh; the last spoken id is kept in the
    browser's sessionStorage, so a snippet shown again never repeats itself. It speaks through the parent
    page's speechSynthesis, so the sentence is not cut off when the snippet's own frame is replaced. Text
    is passed as JSON (escaped), never spliced into the script as code.
    """
    items = [{"id": c.id, "text": speech_text(c.text)} for c in cues]
    payload = json.dumps(items).replace("</", "<\\/")
    return (
        "<script>\n"
        f"const cues = {payload};\n"
        f"const lang = {json.dumps(lang)};\n"
        "try {\n"
        "  const key = 'vision_helper_last_spoken';\n"
        "  const last = Number(window.sessionStorage.getItem(key) || 0);\n"
        "  let w = window;\n"
        "  try { if (window.parent && window.parent.speechSynthesis) w = window.parent; } catch (e) {}\n"
        "  const synth = w.speechSynthesis;\n"
        "  for (const cue of cues) {\n"
        "    if (cue.id <= last || !synth) continue;\n"
        "    const u = new w.SpeechSynthesisUtterance(cue.text); u.lang = lang; u.rate = 0.95;\n"
        "    synth.cancel(); synth.speak(u);\n"
        "    window.sessionStorage.setItem(key, String(cue.id));\n"
        "  }\n"
        "} catch (e) { /* no speech in this browser: the cue is still shown as text */ }\n"
        "</script>"
    )

CUE_SHOW_S = 5.0  # a cue stays on the page this long (media time), then makes way: old advice misleads

def current_cue(cues: CueQueue, media_t_s: float, show_s: float = CUE_SHOW_S) -> QueuedCue | None:
    """The cue to show now: the latest, while it is recent."""
    latest = cues.latest()
    if latest is None or not (0.0 <= media_t_s - latest.t <= show_s):
        return None
    return latest
