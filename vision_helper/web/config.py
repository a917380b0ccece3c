"""Start-up settings of the page: its arguments, ICE servers for WebRTC, where recordings go."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from vision_helper import DISCLAIMER as DISCLAIMER  # the page shows the package's one line
from vision_helper.errors import UserError
from vision_helper.track import SIDECAR_SUFFIX


@dataclass(frozen=True)
class AppArgs:
    sample: str | None = None

def parse_app_args(argv: Sequence[str]) -> AppArgs:
    """`streamlit run app.py -- --sample NAME`; unknown arguments are ignored (pytest's, Streamlit's)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--sample", default=None)
    known, _ = parser.parse_known_args(list(argv))
    sample = (known.sample or "").strip() or None
    return AppArgs(sample=sample)

ICE_ENV = "VISION_HELPER_ICE_SERVERS"
TURN_URL_ENV, TURN_USER_ENV, TURN_CREDENTIAL_ENV = ("VISION_HELPER_TURN_URL", "VISION_HELPER_TURN_USERNAME",
                                                    "VISION_HELPER_TURN_CREDENTIAL")

def _check_ice_servers(servers: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(servers, list):
        raise UserError(f"{where}: ICE servers must be a list like [{{\"urls\": [\"turn:host:3478\"], "
                        f"\"username\": \"u\", \"credential\": \"p\"}}], got {type(servers).__name__}")
    out = []
    for i, server in enumerate(servers):
        if not isinstance(server, Mapping) or "urls" not in server:
            raise UserError(f"{where}: ICE server #{i + 1} needs \"urls\" (e.g. \"turn:host:3478\")")
        urls = server["urls"]
        urls_list = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls_list, list) or not urls_list or not all(
                isinstance(u, str) and re.match(r"^(stun|stuns|turn|turns):", u) for u in urls_list):
            raise UserError(f"{where}: ICE server #{i + 1} urls must start with stun:, stuns:, turn: or turns:, "
                            f"got {urls!r}")
        entry: dict[str, Any] = {"urls": urls_list}
        for key in ("username", "credential"):
            if key in server:
                entry[key] = str(server[key])
        out.append(entry)
    return out

def rtc_configuration(environ: Mapping[str, str] | None = None,
                      secrets: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The RTCConfiguration for both the browser and the server.

    Default: no ICE servers at all, so nothing is looked up on the internet (enough on one machine or a
    LAN). For remote use add a TURN server: VISION_HELPER_ICE_SERVERS (JSON list), or the three
    VISION_HELPER_TURN_* variables, or `[webrtc] ice_servers = [...]` in .streamlit/secrets.toml.
    Raises UserError (one line) on a malformed setting.
    """
    environ = os.environ if environ is None else environ
    if environ.get(ICE_ENV, "").strip():
        try:
            servers = json.loads(environ[ICE_ENV])
        except json.JSONDecodeError as exc:
            raise UserError(f"{ICE_ENV} is not valid JSON ({exc.msg}); expected a list of ICE servers") from None
        return {"iceServers": _check_ice_servers(servers, ICE_ENV)}
    if environ.get(TURN_URL_ENV, "").strip():
        server = {"urls": [environ[TURN_URL_ENV].strip()]}
        if environ.get(TURN_USER_ENV):
            server["username"] = environ[TURN_USER_ENV]
        if environ.get(TURN_CREDENTIAL_ENV):
            server["credential"] = environ[TURN_CREDENTIAL_ENV]
        return {"iceServers": _check_ice_servers([server], TURN_URL_ENV)}
    webrtc = (secrets or {}).get("webrtc") if secrets is not None else None
    if isinstance(webrtc, Mapping) and webrtc.get("ice_servers") is not None:
        return {"iceServers": _check_ice_servers(list(webrtc["ice_servers"]), "secrets.toml [webrtc] ice_servers")}
    return {"iceServers": []}

# What the webrtc component itself says when the camera cannot be opened (START/STOP stay as they are).
WEBRTC_TRANSLATIONS = {
    "device_ask_permission": "Allow camera access when the browser asks",
    "device_access_denied": "Camera access denied: allow it in the browser's address bar, then press START",
    "device_not_available": "No camera found: use a sample video or upload a recording instead",
    "media_api_not_available": "This browser cannot open a camera on this address (it needs https:// or localhost)",
}
NO_CAMERA_HELP = ("Press **START** to open the camera, then stand with your back to it, hips and shoulders in "
                  "view. If the box above says *Permission denied* or *NotAllowedError*, allow the camera in "
                  "the browser's address bar and press START again; no camera at all? Use a sample video or "
                  "an upload.")

LOOPBACK_ENV = "VISION_HELPER_ICE_LOOPBACK"

def allow_loopback_ice(environ: Mapping[str, str] | None = None) -> bool:
    """Let the server's ICE offer 127.0.0.1 when VISION_HELPER_ICE_LOOPBACK=1 (for loopback-only machines).

    aioice leaves loopback addresses out of its host candidates by design, so on a machine whose only
    interface is `lo` (a CI container, say) browser and server never find a path. With this set (and
    Chromium started with --allow-loopback-in-peer-connection) they connect over 127.0.0.1. Off by
    default: a real deployment has real interfaces. Returns whether the patch is in place.
    """
    environ = os.environ if environ is None else environ
    if environ.get(LOOPBACK_ENV, "") not in ("1", "true", "yes"):
        return False
    import aioice.ice

    original = aioice.ice.get_host_addresses
    if getattr(original, "_vision_helper_loopback", False):
        return True

    def with_loopback(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = list(original(use_ipv4, use_ipv6))
        if use_ipv4 and "127.0.0.1" not in addresses:
            addresses.append("127.0.0.1")
        return addresses

    with_loopback._vision_helper_loopback = True  # type: ignore[attr-defined]
    aioice.ice.get_host_addresses = with_loopback
    return True

def recordings_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where live landmark tracks are written (VISION_HELPER_RECORDINGS, else ~/.local/share/...)."""
    environ = os.environ if environ is None else environ
    if environ.get("VISION_HELPER_RECORDINGS"):
        return Path(environ["VISION_HELPER_RECORDINGS"]).expanduser()
    return Path.home() / ".local" / "share" / "vision_helper" / "recordings"

def new_recording_path(directory: Path, kind: str, now: datetime | None = None) -> Path:
    """A fresh, unique track file name such as live-20260101-120000.track.jsonl."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    kind = re.sub(r"[^a-z0-9_-]", "", kind.lower()) or "session"
    path = directory / f"{kind}-{stamp}{SIDECAR_SUFFIX}"
    n = 2
    while path.exists():
        path = directory / f"{kind}-{stamp}-{n}{SIDECAR_SUFFIX}"
        n += 1
    return path
