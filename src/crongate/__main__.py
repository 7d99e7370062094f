from crongate.cli import main

main()
