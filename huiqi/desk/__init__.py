"""The requests desk (诉求): enterprises ask, departments answer within working-day deadlines."""
