"""The panel in a browser (`ms20 run --web`): the server (`server.WebPanel`), what a page may
send (`protocol`), what it is sent (`feed`) and the safety rules (`guard`). Needs the `web`
extra (aiohttp); nothing here runs on the audio thread.
"""
