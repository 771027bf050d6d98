"""A faithful simulator of the Kling text-to-audio contract, served over real HTTP.

It is the ground truth of every test and what demo mode talks to. It shares nothing with
`deerdesk.api` but the contract, so a mistake in one is caught by the other.
"""
