"""confirmations: acts of completed work, their PDFs, signing and sealing, verification, deemed acceptance,
corrective actions."""
