"""The REST API assembly: dependencies, problem JSON, health."""
