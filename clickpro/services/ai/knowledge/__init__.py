"""The AI's knowledge base (issue #21): documents and FAQ entries indexed with OpenAI's
file search (one vector store per client). See :mod:`.documents` (upload, index, delete)
and :mod:`.search` (the file_search tool for an answer)."""
