namespace PhiCrypto.Native;
