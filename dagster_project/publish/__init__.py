"""What the office publishes about its funding, from the warehouse's publications models."""
