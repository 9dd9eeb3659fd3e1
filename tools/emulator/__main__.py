from tools.emulator.cli import main

main()
