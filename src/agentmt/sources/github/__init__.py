"""The GitHub API as a source: a rate-limit-aware client (githubkit underneath), merged PRs as
`PullRequest` records equal to `mine git --metadata`'s, and repository selection.

Modules: clock (real or fake time), tokens (a shared pool), cache (ETags on disk), client
(requests, retries, waits), queries (GraphQL text and parsing), assemble (git side of a record),
mine (the resumable stage), select (`repos select`).
"""
