"""Product catalog: products, variants, stock."""
