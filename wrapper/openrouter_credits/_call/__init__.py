"""One call to OpenRouter, as the clients make it: the generated endpoints typed by a Protocol
(``operations``), the body read within its cap (``body``), what a response or failure means
(``outcomes``) and the attempts, waits and deadline (``retry``). Only ``_client`` imports this package;
nothing here does I/O of its own beyond the send it is handed."""
