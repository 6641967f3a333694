"""Storage: the async database engine, the table base and the migrations."""
