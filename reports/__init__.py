"""HTML leaderboard and run reports."""
