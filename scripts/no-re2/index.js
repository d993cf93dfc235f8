// See package.json: Maestro does not install re2 (a native build); superstatic treats a failed require as "not available".
throw new Error("re2 is not installed (Maestro runs no hosting emulator)");
