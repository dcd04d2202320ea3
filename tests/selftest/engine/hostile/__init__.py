"""Hostile targets for the suite's selftests: loopback HTTP servers that each misbehave in one
way (redirects, key reflection, drips, stalls, endless throttling, broken framing, bombs), so
the suite's promises about a real target (exit status, bounded time and memory, no key leak)
are proven against a server that breaks them on purpose."""
