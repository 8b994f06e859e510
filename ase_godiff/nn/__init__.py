"""The equivariant score network over free atoms and a static template."""
