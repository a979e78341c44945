fn main() {
    std::process::exit(netscript::run(std::env::args_os()));
}
