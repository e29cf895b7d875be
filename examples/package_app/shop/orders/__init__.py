"""Orders: checkout and receipts."""
