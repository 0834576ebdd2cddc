"""WeChat adapters: the push protocol, the API client and its token owner, the outbox sender, evidence, QR codes."""
