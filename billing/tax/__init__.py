"""Tax integrations for summary invoices: one interface (provider.TaxProvider), a deterministic
built-in provider and an adapter in the shape of AvaTax's CreateOrAdjustTransaction."""
