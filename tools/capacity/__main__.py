from tools.capacity.cli import main

main()
