"""riderbot: answers questions about AI model licences from a reviewed knowledge base."""

__version__ = "0.1.0"
