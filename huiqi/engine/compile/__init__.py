"""The compiler: parse, check and lower rules into SQLGlot trees over frame columns."""
