"""The waitlist: joining (the single-page app's contract, `/api/join/`, `/api/user/`), standing,
and admission."""
