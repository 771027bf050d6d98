"""The DeerAPI network layer: models, errors, retries and the async client. No Qt here."""
