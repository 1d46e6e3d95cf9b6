print("solverd-bench")
