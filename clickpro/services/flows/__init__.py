"""Chatbot flows (issue #20): graph, versions, runtime, triggers and reports."""
