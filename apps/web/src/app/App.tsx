import { MantineProvider, Container, Title, Text } from '@mantine/core';

export function App() {
  return (
    <MantineProvider>
      <Container py="xl">
        <Title order={1}>Yardmaster</Title>
        <Text c="dimmed">Dispatch equipment with a qualified driver to work sites.</Text>
      </Container>
    </MantineProvider>
  );
}
