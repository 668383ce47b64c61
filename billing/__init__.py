"""billing: rating bands, invoices built from the fee, quality and SLA evidence, credit notes, numbering and exports."""
