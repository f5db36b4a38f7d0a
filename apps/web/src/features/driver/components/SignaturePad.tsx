import { useEffect, useRef } from 'react';
import { Button, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** A box to sign in with a finger (pointer events); reports the drawing as a PNG, or null when empty. */
export function SignaturePad({ onChange }: { onChange: (png: Blob | null) => void }) {
  const { t } = useTranslation();
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawn = useRef(false);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const ratio = window.devicePixelRatio || 1;
    c.width = c.clientWidth * ratio;
    c.height = c.clientHeight * ratio;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.scale(ratio, ratio);
    ctx.lineWidth = 2.5;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#111';
    let down = false;
    const at = (e: PointerEvent) => {
      const r = c.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top] as const;
    };
    const start = (e: PointerEvent) => {
      down = true;
      c.setPointerCapture(e.pointerId);
      const [x, y] = at(e);
      ctx.beginPath();
      ctx.moveTo(x, y);
      e.preventDefault();
    };
    const move = (e: PointerEvent) => {
      if (!down) return;
      const [x, y] = at(e);
      ctx.lineTo(x, y);
      ctx.stroke();
      drawn.current = true;
      e.preventDefault();
    };
    const end = () => {
      if (!down) return;
      down = false;
      if (drawn.current) c.toBlob((blob) => onChange(blob), 'image/png');
    };
    c.addEventListener('pointerdown', start);
    c.addEventListener('pointermove', move);
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    return () => {
      c.removeEventListener('pointerdown', start);
      c.removeEventListener('pointermove', move);
      c.removeEventListener('pointerup', end);
      c.removeEventListener('pointercancel', end);
    };
  }, [onChange]);

  const clear = () => {
    const c = canvas.current;
    c?.getContext('2d')?.clearRect(0, 0, c.width, c.height);
    drawn.current = false;
    onChange(null);
  };

  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {t('driver.signature.label')}
      </Text>
      <canvas
        ref={canvas}
        data-testid="signature-pad"
        aria-label={t('driver.signature.pad')}
        style={{
          width: '100%',
          height: 140,
          border: '1px solid var(--mantine-color-gray-4)',
          borderRadius: 8,
          touchAction: 'none',
          background: 'white',
        }}
      />
      <Group justify="flex-end">
        <Button size="xs" variant="subtle" onClick={clear}>
          {t('driver.signature.clear')}
        </Button>
      </Group>
    </Stack>
  );
}
