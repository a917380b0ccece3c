"""The Streamlit page's parts, each testable without a browser (no streamlit import here).

config (start-up arguments, ICE servers, recordings), media (bundled samples, uploads), display (what the
counters, gauges and notices say), export (JSON, CSV, chart series, the path picture's crop), clicks
(manual anchors), cues (the cue queue and speech), rates (FPS meter, stale-frame gate, session clock),
session (one FrameProcessor with its overlay and log), live (the webcam session), replay (samples and
uploads), history_recorder (her history written as a session runs), history_charts and history_view
(History). app.py lays them out.
"""
