"""The Salesforce adapter: OAuth, the HTTP session, reports, activities and API usage."""
