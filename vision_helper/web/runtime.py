"""Process-wide settings the live page needs to keep up: no forced full GC after every script run.

Streamlit runs `gc.collect(2)` after every script and fragment run while `runner.postScriptGC` is true (its
default). The live panel ticks twice a second and the replay ten times, and each collection walks every object
of the process (MediaPipe, LiteRT, the session) holding the GIL, so the webrtc callback and aiortc's encoder
stall: py-spy put 44 % of a live server's samples there. `.streamlit/config.toml` turns it off, but Streamlit
reads that file only from the folder it is started in; `no_post_script_gc()` makes the page right however it
was started, and leaves an explicit choice (a flag, an environment variable, another config file) alone.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

POST_SCRIPT_GC = "runner.postScriptGC"
_DEFAULT_DEFINITION = "<default>"  # streamlit.config_option.ConfigOption.DEFAULT_DEFINITION
_frozen_lock = threading.Lock()


def no_post_script_gc(config: Any = None) -> bool:
    """Turn Streamlit's forced GC off unless someone chose it; True when this call turned it off."""
    if config is None:
        try:
            from streamlit import config
        except ImportError:
            return False
    try:
        if not config.get_option(POST_SCRIPT_GC):
            return False
        if config.get_where_defined(POST_SCRIPT_GC) != _DEFAULT_DEFINITION:
            return False  # set on purpose (e.g. the benchmark's "before" run): respected
        config.set_option(POST_SCRIPT_GC, False, where_defined="vision_helper.web.runtime")
    except Exception:  # noqa: BLE001 - an option Streamlit renamed: the page runs as before
        return False
    return True


def freeze_loaded_objects() -> int:
    """Collect once, then move every object alive now (the loaded models, the page's modules) out of the
    collector's sight, so the full collections Python still runs on its own walk only what came after.
    Returns how many objects were frozen in all."""
    with _frozen_lock:
        gc.collect()
        gc.freeze()
        return gc.get_freeze_count()
