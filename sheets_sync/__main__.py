from sheets_sync.cli import main

main()
