from peilian.cli import main

main()
