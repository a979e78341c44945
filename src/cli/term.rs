//! The size of the terminal a stream goes to, for lines that must fit.

use std::os::fd::AsRawFd;

/// (columns, rows) of the terminal on `fd`, if it is one.
pub fn size(fd: &impl AsRawFd) -> Option<(usize, usize)> {
    let mut size = nix::libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we own.
    let ok = unsafe { nix::libc::ioctl(fd.as_raw_fd(), nix::libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some((usize::from(size.ws_col), usize::from(size.ws_row)))
}

/// Columns of the terminal on stderr, if it is one.
pub fn stderr_width() -> Option<usize> {
    size(&std::io::stderr()).map(|(columns, _)| columns)
}

/// Columns of the terminal on stdout, if it is one.
pub fn stdout_width() -> Option<usize> {
    size(&std::io::stdout()).map(|(columns, _)| columns)
}

/// Rows of the terminal on stdout, if it is one and says.
pub fn stdout_height() -> Option<usize> {
    size(&std::io::stdout()).map(|(_, rows)| rows).filter(|rows| *rows > 0)
}
