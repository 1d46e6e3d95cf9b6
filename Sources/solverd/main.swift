print("solverd")
