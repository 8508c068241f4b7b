from hwgen.cli import main

main()
