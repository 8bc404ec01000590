"""The compiler: parse, check and lower rules into backend-neutral SQLGlot trees."""
