"""Portfolio selection (governance/selection/), by module: problem, model, solve, report; and the
candidates file a selection reads."""
